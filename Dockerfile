# The same server as `make serve`, listening on all interfaces; state on a volume.
# Stage 1 builds the wheel; stage 2 installs only the wheel (no source tree, no editable install).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY ims_emulator ./ims_emulator
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --create-home emulator && mkdir -p /data && chown emulator /data
USER emulator
WORKDIR /data
ENV IMS_EMULATOR_HOST=0.0.0.0 \
    IMS_EMULATOR_PORT=8085 \
    IMS_EMULATOR_DB=/data/state.db
VOLUME ["/data"]
EXPOSE 8085
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request,os; urllib.request.urlopen('http://127.0.0.1:%s/_emulator/health' % os.environ.get('IMS_EMULATOR_PORT','8085'), timeout=2)"
CMD ["ims-emulator", "serve"]
