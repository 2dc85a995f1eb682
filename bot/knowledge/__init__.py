"""The reviewed knowledge base: the content pack in the repo, the topic tree in the database, rendering, search."""
