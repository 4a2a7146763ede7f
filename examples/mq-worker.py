#!/usr/bin/env python3
"""A postwarden worker in Python: one user's own processing, over RabbitMQ (docs/mq.md).

    python3 -m pip install pika
    python3 examples/mq-worker.py --broker 'amqp://postwarden-worker-7-…@127.0.0.1:5672/%2f' \
        --queue postwarden.user.7 --block @pushy.example --tag-subject-word invoice

`--broker` and `--queue` are what `postwarden users route EMAIL` printed (`broker_url`,
`queue`). The rules here are examples: refuse mail from blocked senders, tag mail whose
subject holds a word. Write your own in `judge()`.

The protocol, as every worker must speak it:
- take a request from your queue (JSON, `"version": 1`);
- publish one reply to the exchange `postwarden.replies` with the routing key taken from
  the request's `reply_to`, the same `correlation_id`, and `user_id` set to your broker
  user name (RabbitMQ refuses any other);
- acknowledge the request only after the broker confirmed the reply, so that a worker that
  dies mid-request leaves it to the next one.
"""

import argparse
import base64
import email
import json
import logging
import sys
import urllib.parse

import pika

REPLIES = "postwarden.replies"


def judge(request, blocked, words):
    """The reply for one request: an action, a reason, tags."""
    sender = request["envelope"]["mail_from"].lower()
    for pattern in blocked:
        pattern = pattern.lower()
        if sender == pattern or (pattern.startswith("@") and sender.endswith(pattern)):
            return {"version": 1, "action": "reject", "reason": f"{sender} is blocked"}
    message = email.message_from_bytes(base64.b64decode(request["message"]))
    subject = str(message.get("Subject", "")).lower()
    for word in words:
        if word.lower() in subject:
            return {
                "version": 1,
                "action": "tag",
                "reason": f"subject mentions {word}",
                "tags": [word],
                "subject_prefix": f"[{word}] ",
            }
    return {"version": 1, "action": "pass", "reason": "nothing to say"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", required=True, help="broker_url from `users route`")
    parser.add_argument("--queue", required=True, help="queue from `users route`")
    parser.add_argument("--block", action="append", default=[], help="sender or @domain")
    parser.add_argument("--tag-subject-word", action="append", default=[], dest="words")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)

    user = urllib.parse.unquote(urllib.parse.urlparse(args.broker).username or "")
    connection = pika.BlockingConnection(pika.URLParameters(args.broker))
    channel = connection.channel()
    channel.confirm_delivery()  # basic_publish raises unless the broker confirms
    channel.basic_qos(prefetch_count=1)

    def on_request(ch, method, properties, body):
        try:
            request = json.loads(body)
            if request.get("version") != 1:
                raise ValueError(f"version {request.get('version')}")
        except ValueError as error:
            logging.warning("not a request (%s); rejected", error)
            ch.basic_nack(method.delivery_tag, requeue=False)
            return
        reply = judge(request, args.block, args.words)
        ch.basic_publish(
            exchange=REPLIES,
            routing_key=properties.reply_to,
            body=json.dumps(reply).encode(),
            properties=pika.BasicProperties(
                correlation_id=properties.correlation_id,
                user_id=user,
                content_type="application/json",
                type="postwarden.reply.v1",
            ),
        )
        ch.basic_ack(method.delivery_tag)
        logging.info("ref=%s from=%s action=%s", request["ref"],
                     request["envelope"]["mail_from"], reply["action"])

    channel.basic_consume(queue=args.queue, on_message_callback=on_request)
    logging.info("worker ready on %s", args.queue)
    try:
        channel.start_consuming()
    except KeyboardInterrupt:
        channel.stop_consuming()
    connection.close()


if __name__ == "__main__":
    main()
