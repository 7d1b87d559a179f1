"""The app's page: one module per tab, and the pieces the tabs share (the model list and its cache,
image files, input checks). app.py at the top level puts the page together."""
