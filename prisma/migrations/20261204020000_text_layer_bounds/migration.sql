-- Bounds on a document's stored text layer (document_text_layers, 20261203010000). The words come
-- from the document, so a hostile PDF drawing millions of glyphs would otherwise become one huge
-- row. The pipeline cuts every layer before storing it (src/extraction/hints/text-layer.ts:
-- MAX_LAYER_WORDS = 20,000 words, MAX_LAYER_CHARS = 200,000 characters, 100 per word; the
-- largest such layer is ~2.1 MB of jsonb); this holds any writer to the same word bound and to
-- 4 MiB per layer, twice the pipeline's largest. pg_column_size sees the value before TOAST
-- compression, so the byte bound is on what the layer holds, not on how well it compresses.
-- The table's RLS policy and its purge trigger stay as they are.
ALTER TABLE document_text_layers
  ADD CONSTRAINT document_text_layers_bounded CHECK (
    CASE
      WHEN jsonb_typeof(layer -> 'words') = 'array'
        THEN jsonb_array_length(layer -> 'words') <= 20000 AND pg_column_size(layer) <= 4194304
      ELSE false
    END
  );
