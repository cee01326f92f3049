"""Process instances: start, load, save, and keep the open-task table in step with them."""

from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.background import timers
from engine.clock import clock
from engine.errors import IPTError
from engine.models import HumanTask, ProcessInstance
from engine.specs import serializer
from engine.tasks.assignment import organisation_for


class WorkflowError(IPTError):
    code = "erreur_workflow"


def run_engine(workflow, dossier, where: str):
    """do_engine_steps, with library errors wrapped with the dossier and the task."""
    try:
        workflow.do_engine_steps()
    except SpiffWorkflowException as err:
        task = getattr(err, "task", None)
        name = task.task_spec.bpmn_name if task is not None else where
        raise WorkflowError(
            f"Erreur du processus dans le dossier {dossier.reference or dossier.id}, "
            f"tâche « {name} » : {err}",
            dossier_id=dossier.id,
        ) from err


def start(session, runtime, dossier, process_id: str, data: dict):
    definition = runtime.library.current[process_id]
    workflow = serializer.new_workflow(definition)
    start_task = workflow.get_tasks(state=TaskState.READY)[0]
    start_task.data.update(data)  # seed before the first engine steps
    run_engine(workflow, dossier, "démarrage")
    instance = ProcessInstance(
        dossier_id=dossier.id,
        process_id=process_id,
        spec_version_id=runtime.library.current_version_id(process_id),
        state="",
        serializer_version=serializer.SERIALIZER_VERSION,
        status="running",
        updated_at=clock.now(),
    )
    session.add(instance)
    return instance, workflow, definition


def load(session, runtime, instance):
    definition = runtime.library.for_version(session, instance.spec_version_id)
    return serializer.loads(instance.state, definition), definition


def save(instance, workflow):
    instance.state = serializer.dumps(workflow)
    instance.serializer_version = serializer.SERIALIZER_VERSION
    instance.status = "completed" if workflow.completed else "running"
    instance.updated_at = clock.now()


def ready_user_tasks(workflow):
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def find_task(workflow, task_id: str):
    return workflow.get_task_from_id(UUID(task_id))


def sync_tasks(session, runtime, instance, workflow, definition, dossier) -> list[HumanTask]:
    """Insert a row for each newly ready user task (with its due date and reminder timers);
    cancel rows no longer ready."""
    ready = {str(t.id): t for t in ready_user_tasks(workflow)}
    rows = session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state == "open")
    ).all()
    existing = {r.id for r in rows}
    for row in rows:
        if row.id not in ready:
            row.state = "cancelled"
            row.completed_at = clock.now()
    opened = []
    for tid, task in ready.items():
        if tid in existing:
            continue
        row = HumanTask(**task_values(definition, task, instance.id, dossier))
        timers.schedule_task(session, runtime, row, dossier.level)
        session.add(row)
        opened.append(row)
    return opened


def task_values(definition, task, instance_id, dossier) -> dict:
    """The open-task row of a ready user task (without its due date)."""
    info = definition.user_tasks[task.task_spec.bpmn_id]
    return {
        "id": str(task.id),
        "instance_id": instance_id,
        "dossier_id": dossier.id,
        "bpmn_id": info.bpmn_id,
        "name": info.name,
        "lane": info.lane,
        "party": info.party,
        "organisation_id": organisation_for(info.party, dossier),
        "roles": ",".join(info.roles),
        "form": info.form_file,
        "stage": info.stage,
        "state": "open",
        "created_at": clock.now(),
    }


def completed_ids(workflow) -> set:
    return {t.id for t in workflow.get_tasks(state=TaskState.COMPLETED)}


def decisions_since(workflow, before: set) -> list:
    """Business-rule tasks (DMN) completed since `before`, in completion order."""
    return [
        t
        for t in workflow.get_tasks(state=TaskState.COMPLETED)
        if t.id not in before and isinstance(t.task_spec, BusinessRuleTask)
    ]


def decided_outputs(task) -> dict:
    """The variables a business-rule task's own table decided (not those it inherited)."""
    names = {o.name for o in task.task_spec.dmnEngine.decision_table.outputs}
    return {k: v for k, v in task.data.items() if k in names}


def completed_end_events(workflow) -> list[str]:
    return [
        t.task_spec.bpmn_id
        for t in workflow.get_tasks(state=TaskState.COMPLETED)
        if type(t.task_spec).__name__ == "EndEvent" and t.task_spec.bpmn_id
    ]


def cancel(session, instance, workflow):
    workflow.cancel()
    save(instance, workflow)
    instance.status = "cancelled"
    for row in session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id, HumanTask.state == "open")
    ):
        row.state = "cancelled"
        row.completed_at = clock.now()
