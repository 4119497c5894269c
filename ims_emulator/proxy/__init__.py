"""The recording proxy: another face beside server.py (not part of api/).

`ims-emulator record` forwards each request to the real service, re-signed with the user's credentials, answers
as the upstream answered and writes the exchange as a recording in the fixtures/ format, with account ids, AKs,
request ids and addresses replaced by placeholders. `ims-emulator parity` (`record --shadow`) also sends every
request to an emulator and reports, per operation, what the contract comparator finds different.
"""
