INSERT INTO it_migration_item VALUES (1, 'one'), (2, 'two'), (3, 'three');
