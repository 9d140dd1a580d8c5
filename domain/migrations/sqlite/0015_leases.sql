-- Work that several instances share is claimed with a lease: the claiming instance and when its
-- claim runs out. Another instance takes a claimed row over only once the lease has expired;
-- taken_over_from names the instance whose lease ran out (empty for an ordinary claim).
ALTER TABLE sms_outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE sms_outbox ADD COLUMN lease_until INTEGER;
ALTER TABLE sms_outbox ADD COLUMN taken_over_from TEXT;
-- Rows a process was sending before leases existed are claimable at once (start used to re-queue them).
UPDATE sms_outbox SET lease_until = 0 WHERE status = 'sending';
CREATE INDEX sms_outbox_leases ON sms_outbox (status, lease_until);

-- A due push is claimed the same way, and the claim cleared when the round is recorded.
ALTER TABLE wallet_passes ADD COLUMN push_claimed_by TEXT;
ALTER TABLE wallet_passes ADD COLUMN push_lease_until INTEGER;
ALTER TABLE wallet_passes ADD COLUMN push_taken_over_from TEXT;
