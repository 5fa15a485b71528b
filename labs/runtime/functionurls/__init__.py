"""Lambda function URLs: the control plane (``config.py``: Create/Get/Update/Delete/ListFunctionUrlConfigs),
who may call (``access.py``: AuthType NONE and AWS_IAM) and the data plane (``serving.py``:
``cloud.http_request`` to ``https://<url-id>.lambda-url.<region>.on.aws/``).
"""
