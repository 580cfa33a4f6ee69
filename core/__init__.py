"""Domain core: settings, database, models, the four jobs and the job lifecycle.

Imports nothing else of this project; `api`, the workers and `bench` build on it.
"""
