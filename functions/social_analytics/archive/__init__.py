"""The archive: every post the stream reads, kept as hourly Parquet files for a few days, queried with DuckDB.

- ``layout``: the file layout (``posts/dt=YYYY-MM-DD/hour=HH/``), hours and retention;
- ``parquet``: the Parquet schema, writing a part file, compacting an hour, the SQL of a query (DuckDB);
- ``writer``: what a stream run does (buffer, write part files, record coverage, compact, expire);
- ``coverage``: which spans the archive holds (its runs minus the stream's gaps and the retention);
- ``search``: a query answered from the archive (SQL pre-filter, then the shared matcher);
- ``history``: a tracked keyword's per-minute counts rebuilt from the archived hours.
The files live behind ``storage/archive.py`` (S3 or a folder): nothing here touches boto3.
"""
