"""The Celery app, configured from core.Settings (same broker rules as Taskiq)."""

from core.brokers import make_celery
from core.settings import get_settings

app = make_celery(get_settings(), main="workers_celery")
app.conf.include = ["workers_celery.tasks"]
