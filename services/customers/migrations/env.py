from infra.migrations import run_env
from services.customers.models import Base

run_env(Base.metadata)
