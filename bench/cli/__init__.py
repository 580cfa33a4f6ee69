"""`python -m bench`: the commands (app.py) and what the run command's options become,
checked before anything starts (checks.py). The only package that calls more than one
stage of the pipeline."""
