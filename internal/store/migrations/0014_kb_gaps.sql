-- A gap of the knowledge base is closed when HR write the article it
-- asked for (resolved_slug) or dismiss it (resolved_slug empty). Closed
-- gaps leave the list; later questions like them start a new group.
ALTER TABLE faq_gaps ADD COLUMN resolved_at BIGINT;
ALTER TABLE faq_gaps ADD COLUMN resolved_slug TEXT NOT NULL DEFAULT '';
