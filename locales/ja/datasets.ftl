# データセットのカタログ（datasets.html）。

ds-title = データセット
ds-ingest-link = データセットを取り込む
ds-col-dataset = データセット
ds-col-description = 説明
ds-col-person-column = 対象者の列
ds-col-latest-version = 最新版
ds-empty = データセットはまだありません。

# データセットの取り込み（dataset_upload.html とそのハンドラー）。

ds-upload-title = データセットの取り込み
# 登録したデータセットと版（例：「claims 第2版」）。
ds-upload-dataset-version = { $dataset } 第{ $version }版
ds-upload-done = { $version }（テーブル { $tables } 個）を登録しました。
ds-upload-name = データセット名（新しい名前ならデータセットを作成し、既存の名前なら新しい版を追加します）
ds-upload-description = 説明
ds-upload-person-column = 対象者を識別する列
ds-upload-files = ファイル（テーブルごとに 1 つ。見出し行のある .csv または .parquet）
ds-upload-button = 取り込む
ds-upload-hint = すべてのファイルをエラーなく読み込めた場合にのみ保存され、新しい版が一度に記録されます。
ds-upload-not-stored = アップロードされたファイルを保存できませんでした
ds-upload-malformed = アップロードが中断されたか、形式が正しくありません
ds-upload-interrupted = { $file }：アップロードが中断されました
ds-upload-wrong-format = { $file }：取り込めるのは .csv と .parquet のファイルだけです
# テーブル名にできないファイル名。問題の説明はプログラムから英語で届きます。
ds-upload-bad-file-name = { $file }：{ $problem }
ds-upload-no-file = ファイルを 1 つ以上選んでください

# データセットの版：テーブル、列、データ辞書（dataset_version.html とそのハンドラー）。

ds-version-title = { $dataset } 第{ $version }版
ds-version-heading = 第{ $version }版
ds-versions = 版
ds-versions-label = 版：
ds-person-column-label = 対象者を識別する列
ds-person-column-change = 変更して対象者を数え直す
ds-person-column-hint = すべての版に適用されます。このデータセットから抽出データを作成した後は変更できません。
ds-counts-hint = 件数は丸めて表示しています。カタログに表示するのはデータの形だけで、値は表示しません。
ds-rows = 行数
ds-persons = 人数
ds-source-file = 元のファイル
ds-sha256 = SHA-256
ds-col-column = 列
ds-col-type = 型
ds-col-class = 分類
ds-col-edit = 編集
ds-person-tag = 対象者
ds-may-be-missing = （欠損あり）
ds-description-of = { $column } の説明
ds-class-of = { $column } の分類
ds-save = 保存
# 丸めた件数：「約 300」（数は丸めて桁区切り済み）。
ds-count-about = 約 { $count }
ds-count-fewer-than-10 = 10 未満
ds-no-persons = 対象者なし
ds-column-class = { $class ->
    [identifier] 識別子
    [quasi_identifier] 準識別子
    [sensitive] 機微情報
    [other] その他
   *[unknown] { $class }
}
ds-unknown-class = 列の分類が正しくありません
# ある版で対象者を数え直せませんでした。問題の説明はプログラムから英語で届きます。
ds-person-column-version-problem = 第{ $version }版：{ $problem }

# プロジェクトの抽出データ：現在の抽出データ、抽出仕様、プレビュー、作成（extract.html とそのハンドラー）。

extract-title = 抽出データ · { $project }
extract-heading = { $project } の抽出データ
extract-project-status = { $status ->
    [draft] 下書き
    [approved] 承認済み
    [suspended] 一時停止中
    [closed] 終了
   *[other] { $status }
}
# 承認された期間（例：「2026年4月1日〜2027年3月31日」）。
extract-period = { $from }〜{ $to }
extract-project-line = プロジェクトの状態：{ $status }（承認期間：{ $period }）
extract-suspend-link = 一時停止・解除
extract-current = 現在の抽出データ
extract-current-version = 第{ $version }版、マニフェストの SHA-256：
extract-col-table = テーブル
extract-col-rows = 行数
extract-col-persons = 人数
extract-col-sha256 = SHA-256
extract-none = このプロジェクトの抽出データはまだ作成されていません。
extract-protocol = 抽出仕様
extract-protocol-label = 抽出仕様（JSON：dataset、version、列と条件を指定した tables、cohort、date_shift_days、birth_year_bands）
extract-preview-button = プレビュー
extract-preview-heading = この抽出仕様で残るもの
extract-col-rows-kept = 残る行数
extract-col-persons-kept = 残る人数
extract-col-columns-kept = 残る列
extract-col-columns-dropped = 除かれる列
# 全体のうち残る数（例：「300 中 120」）。
extract-of = { $whole } 中 { $part }
extract-build-button = この抽出データを作成
# 抽出仕様の JSON が正しくありません。問題の説明は JSON の読み取りから英語で届きます。
extract-protocol-invalid = 抽出仕様が、抽出仕様として正しい JSON ではありません：{ $problem }
