"""Celery workers (timers, reminders, the prolongation campaign): see issue « Workers on Celery +
Redis ». Nothing runs here yet; the outbox rows the engine writes wait for them."""
