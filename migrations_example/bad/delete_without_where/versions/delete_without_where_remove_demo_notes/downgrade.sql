-- Puts one demo note back for each tenant.
INSERT INTO notes (tenant_id, body) SELECT id, 'demo: welcome' FROM tenants;
