-- 0008: EscrowStore.Rows, the walk of escrow.Service.Reseal after a
-- sealing key rotation, pages the rows in byte order of (device_id, kind)
-- (COLLATE "C", the order the re-seal's Go side compares keys in, whatever
-- the database's collation): this index answers each page from where the
-- last one ended, instead of sorting the whole table once per page.
CREATE INDEX IF NOT EXISTS mdmcred_escrow_walk ON mdmcred_escrow ((device_id COLLATE "C"), (kind COLLATE "C"));
