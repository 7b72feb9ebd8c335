"""Label Studio in the loop: the model backend it calls, and push/pull through its SDK."""
