-- A page of one person's or one domain's mail is read from the address index newest
-- first, a message once however many of its addresses match. With the message id in the
-- index the rows come out in the page's own order (time, then id), so the database stops
-- after a page; with (address, time) or (domain, time) alone it sorted every row of the
-- person or the domain first (PostgreSQL: a domain's 100,000 rows, or two parallel
-- workers, for every page). The new indexes serve every query the old ones did.
CREATE INDEX message_addresses_address_page ON message_addresses (address, time_us, message_id);
CREATE INDEX message_addresses_domain_page ON message_addresses (domain, time_us, message_id);
DROP INDEX message_addresses_address;
DROP INDEX message_addresses_domain;
