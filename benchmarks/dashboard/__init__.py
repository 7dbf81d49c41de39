"""The self-service dashboard: browse and compare runs, sweeps and campaigns, and ask "what if" on
one world with live re-solves.

    python -m benchmarks.dashboard [RUN_DIR ...] [--port N]

Modules: ``discover`` (finding runs on disk), ``views`` (the tables a page shows, from a run's
frames), ``charts`` (the interactive plotly figures), ``whatif`` (one world and strategy re-solved
through the main job's path), ``jobs`` (solves off the UI thread), ``page_*`` (the three pages),
``app`` (the Streamlit entry point) and ``__main__`` (the command line that starts the server).
"""
