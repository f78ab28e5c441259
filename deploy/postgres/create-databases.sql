-- One database per component, each service and the gateway (DESIGN.md section 3).
-- The postgres image runs this once, on an empty data directory.
CREATE DATABASE customers OWNER crm;
CREATE DATABASE sales OWNER crm;
CREATE DATABASE gateway OWNER crm;
