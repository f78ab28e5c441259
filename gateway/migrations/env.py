from gateway.models import Base
from infra.migrations import run_env

run_env(Base.metadata)
