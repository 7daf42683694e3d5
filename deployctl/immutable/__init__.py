"""The immutable strategy: bake a play into an image (build) and roll containers to it (rollout)."""
