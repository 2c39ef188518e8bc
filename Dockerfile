# The app image of docker-compose.yml: the pinned runtime dependencies and the code, run as an
# unprivileged user. The same image runs migrations (the one-shot `migrate` service) and serves.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /srv/virtcompat
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --system --home-dir /srv/virtcompat virtcompat
USER virtcompat
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]
