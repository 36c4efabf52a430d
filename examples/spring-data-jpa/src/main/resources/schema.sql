CREATE TABLE IF NOT EXISTS notes (
    id      bigserial PRIMARY KEY,
    owner   text        NOT NULL,
    text    text        NOT NULL,
    created timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_owner_id ON notes (owner, id);
