"""API variants we measure but do not recommend; the app to run is api.main:app."""
