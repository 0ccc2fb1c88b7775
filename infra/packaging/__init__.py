"""The build: the venv's Python, Chromium for the browser test, and the deployment package."""
