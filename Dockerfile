# Image for the Dagster code location, webserver and daemon (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /opt/reelhouse
COPY . .
RUN pip install --no-cache-dir -c constraints/reelhouse.txt . && mkdir -p /opt/dagster/home && cp orchestration/deploy/*.yaml /opt/dagster/home/
ENV DAGSTER_HOME=/opt/dagster/home
