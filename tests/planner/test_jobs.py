"""planner.jobs queues tasks by name: each name it knows is a task the app has registered
(the app config imports planner.tasks), so a renamed task cannot silently stop running."""

from celery import current_app

from planner import jobs


def test_every_job_name_is_a_registered_task():
    names = [value for key, value in vars(jobs).items() if key.isupper()]
    assert names
    for name in names:
        assert name in current_app.tasks, name
