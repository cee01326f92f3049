"""Background work kept in the database: deadlines and reminder timers, the outbox of e-mails and
campaign chunks, the yearly prolongation campaign and the once-a-day tick. Celery (workers/) only
rings the bell; everything here runs the same in a worker, in `ipt simulate` and in tests."""
