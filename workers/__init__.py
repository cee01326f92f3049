"""Celery workers: the broker only rings the bell, the work is in the database (engine.background).

`workers.app` is the Celery application (`celery -A workers.app worker|beat`, or `ipt worker`,
`ipt beat`); `workers.tasks` holds its tasks.
"""
