FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml bin/deps.py ./bin/
RUN python bin/deps.py > /tmp/requirements.txt && pip install --no-cache-dir -r /tmp/requirements.txt
COPY . .
RUN DJANGO_SETTINGS_MODULE=prm_portal.settings.local python manage.py collectstatic --noinput
EXPOSE 8000
