"""`make bench`: load and race measurements of the portal under production settings."""
