"""Periodic tasks of demand-driven matching (merged into Celery beat by ``opentto.celery``)."""

BEAT_SCHEDULE = {
    # a new ranker from the feedback, kept only when it beats the current ranking (ranking.ranker_train)
    "demands-train-ranker": {"task": "demands.train_ranker", "schedule": 86400.0},
}
