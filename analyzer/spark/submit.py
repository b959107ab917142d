"""The program file for ``spark-submit`` (which wants a ``.py`` file, not a console script).

    SUBMIT=$(python -c 'import analyzer.spark.submit as s; print(s.__file__)')
    spark-submit --master yarn "$SUBMIT" detect --engine spark --parquet s3a://b/export

Its arguments are the ``analyzer`` command line.
"""

from analyzer.cli import main

if __name__ == "__main__":
    main(prog_name="analyzer")
