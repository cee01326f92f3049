"""Serialize instance state only; specs are stored once per version and re-attached on load."""

from __future__ import annotations

import json
from copy import deepcopy

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.spiff.serializer import DEFAULT_CONFIG

from engine.specs.scripting import make_script_engine


class StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    """Like the default converter, without `spec` and `subprocess_specs` in the output."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], _uuid, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(_uuid(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _uuid(value):
    from uuid import UUID

    return UUID(value)


_config = deepcopy(DEFAULT_CONFIG)
_config[BpmnWorkflow] = StateOnlyWorkflowConverter
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_config))
SERIALIZER_VERSION = SERIALIZER.VERSION
_script_engine = make_script_engine()


def dumps(workflow) -> str:
    return SERIALIZER.serialize_json(workflow)


def loads(state: str, definition) -> BpmnWorkflow:
    dct = json.loads(state)
    SERIALIZER.migrate(dct)
    workflow = SERIALIZER.from_dict(
        dct, spec=definition.spec, subprocess_specs=definition.subprocess_specs
    )
    workflow.script_engine = _script_engine  # the script engine is not serialized
    return workflow


def new_workflow(definition) -> BpmnWorkflow:
    return BpmnWorkflow(definition.spec, definition.subprocess_specs, script_engine=_script_engine)
