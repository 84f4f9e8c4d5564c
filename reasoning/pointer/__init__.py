"""Pointer networks: Ptr-Net (Vinyals et al. 2015) and the attention model (Kool et al. 2019) on
sorting, convex hull, Delaunay triangulation and the TSP, with exact references and classical
baselines (numba) to measure them against."""
