# The leadscore image: one uv-locked environment (Airflow, Cosmos, dbt, GX, the sandbox) and
# this repository. docker-compose.yml builds it once as leadscore:local and runs every
# service from it. .dockerignore keeps the host's .venv (absolute shebangs), .leadscore
# (pgdata, Airflow home) and .env (secrets) out of the build context.
FROM python:3.11-slim

# Same uv as the Makefile, so the lock file is read by the version that wrote it.
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir "uv==${UV_VERSION}" \
 && useradd --uid 50000 --gid 0 --create-home leadscore

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_NO_CACHE=1 \
    PATH=/opt/leadscore/.venv/bin:$PATH
WORKDIR /opt/leadscore

# Dependencies first, from the lock file alone: this layer is rebuilt only when
# pyproject.toml or uv.lock change, not on every code edit.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

# Then the code, and the project itself (editable, so Airflow's plugins folder and the
# installed package are the same files). The runtime user owns only what is written at run
# time: the home (volume mount point), dbt's target and logs.
COPY . .
RUN uv sync --frozen --no-dev \
 && mkdir -p .leadscore/airflow dbt_project/target dbt_project/logs \
 && chown -R leadscore:0 .leadscore dbt_project

USER leadscore
