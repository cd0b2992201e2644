"""Connecting accounts through each network's own sign-in, and keeping them connected.

Sits between publishing (which holds the posts of a disconnected channel) and posts;
the adapters in planner/channels/ say what each network's endpoints are.
"""
