CREATE TABLE it_migration_item (id int PRIMARY KEY, name text NOT NULL);
