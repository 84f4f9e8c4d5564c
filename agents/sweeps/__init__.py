"""``slotmind sweep``: grids of single-machine runs (``train``, ``pretrain``, ``reason bench``) run as
Ray Tune trials, each in its own run folder under one sweep folder (``layout.py`` names its files)."""
