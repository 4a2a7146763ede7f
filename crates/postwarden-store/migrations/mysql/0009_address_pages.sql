-- A page of one person's or one domain's mail is read from the address index newest
-- first, a message once however many of its addresses match. With the message id in the
-- index the rows come out in the page's own order (time, then id), so the database stops
-- after a page; with (address, time) or (domain, time) alone it sorted every row of the
-- person or the domain first. The new indexes serve every query the old ones did.
ALTER TABLE message_addresses
    ADD INDEX message_addresses_address_page (address, time_us, message_id),
    ADD INDEX message_addresses_domain_page (domain, time_us, message_id),
    DROP INDEX message_addresses_address,
    DROP INDEX message_addresses_domain;
