# One image for every CRM process: each nameko service and the gateway. The command chooses
# the process (docker-compose.yml, deploy/k8s/); by default it runs the gateway.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so this layer is rebuilt only when they change.
COPY requirements.txt constraints.txt ./
RUN pip install -r requirements.txt -c constraints.txt

RUN useradd --create-home --uid 10001 crm
COPY . .
RUN mkdir -p /app/var && chown crm /app/var

# A container is reached from outside itself: listen on every interface, not on loopback.
# The gunicorn heartbeat goes to memory: on an overlay /tmp, os.fchmod can stall a worker.
ENV CRM_GATEWAY_BIND=0.0.0.0:8000 \
    CRM_METRICS_ADDR=0.0.0.0 \
    GUNICORN_CMD_ARGS="--worker-tmp-dir /dev/shm"

USER 10001
EXPOSE 8000 9100
CMD ["gunicorn", "--config", "gateway/gunicorn.conf.py", "gateway.app:create_app()"]
