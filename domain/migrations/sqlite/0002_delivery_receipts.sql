-- Delivery receipts from the SMS provider (queued, sent, delivered, undelivered, failed).
ALTER TABLE sms_outbox ADD COLUMN delivery_status TEXT;
ALTER TABLE sms_outbox ADD COLUMN delivery_at INTEGER;
CREATE INDEX sms_outbox_by_provider_id ON sms_outbox (provider_id);
