"""Push notifications: Amazon SNS (deliveries to every subscription whose filter policy matches, in
``sns_delivery``; the filter policies themselves in ``filter_policies``, public as ``labs.runtime.sns``) and
Amazon S3 event notifications to Lambda, SQS, SNS and EventBridge (``s3_events``)."""
