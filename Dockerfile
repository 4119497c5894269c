# The same server as `make serve`, listening on all interfaces; state on a volume.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY emulator ./emulator
COPY fixtures ./fixtures
RUN pip install --no-cache-dir -e . && useradd --create-home emulator && mkdir -p /data && chown emulator /data
USER emulator
ENV IMS_EMULATOR_HOST=0.0.0.0 \
    IMS_EMULATOR_PORT=8085 \
    IMS_EMULATOR_DB=/data/state.db
VOLUME ["/data"]
EXPOSE 8085
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request,os; urllib.request.urlopen('http://127.0.0.1:%s/_emulator/health' % os.environ.get('IMS_EMULATOR_PORT','8085'), timeout=2)"
CMD ["ims-emulator", "serve"]
