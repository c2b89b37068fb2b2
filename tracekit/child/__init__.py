"""What runs inside the example's process, and the rewriter that makes the code it runs (standard library only)."""
