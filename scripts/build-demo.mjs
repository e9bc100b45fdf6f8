// Bundles the demo pages' scripts (filled in by the next commit).
