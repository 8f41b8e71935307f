"""The local cloud: the main job (``make run``, ``dativo-infra local-run``) run against a local AWS
emulator, a moto server started on loopback.

:mod:`.server` starts and stops the moto server (:mod:`.moto_ext` is the process it runs: moto plus
the Application Auto Scaling tagging calls moto lacks); :mod:`.run` synthesizes, deploys with the
cdktf CLI, renders, checks tags and destroys, and prints the progress and report; :mod:`.tagcheck`
reads tags back through the AWS APIs. This subpackage is the only part of ``dativo_infra`` that
talks to moto or boto3; importing it imports neither (nor cdktf).
"""
