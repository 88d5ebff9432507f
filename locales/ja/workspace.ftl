# 研究者のワークスペース。

ws-title = ワークスペース · { $project }
ws-heading = ワークスペース：{ $project }
ws-tables = テーブル
ws-table-rows = （{ $rows } 行）
ws-columns-of = { $table } の列
ws-column = 列
ws-type = 型
ws-class = 区分
ws-description = 説明
ws-class-name = { $class ->
    [identifier] 識別子
    [quasi_identifier] 準識別子
    [sensitive] 機微情報
   *[other] その他
}
ws-person-column = 対象者（プロジェクト固有の仮名）
ws-identifying = 識別につながる
ws-outputs-link = 出力と持ち出し申請
ws-sql-label = SQL（読み取り専用のクエリを 1 つ）
ws-run = 実行
ws-did-not-run = クエリを実行できませんでした
ws-cancelled = クエリを取り消しました。
ws-result = 結果
ws-lineage-before = 出力チェックでは、この結果は
ws-lineage-name = { $lineage ->
    [aggregate] 集計
    [row-level] 行単位のデータ
    [unknown-lineage] 由来不明
   *[other] { $lineage }
}
ws-lineage-why = { " " }に分類されます（{ $why }）。
ws-lineage-after = { " " }に分類されます。
ws-gate-before = 出力チェックの判定：
ws-gate-status = { $status ->
    [pass] 合格
    [review] 要審査
    [fail] 不合格
    [refused] 持ち出し不可
   *[error] エラー
}
ws-gate-after = 。
ws-gate-counts = 不合格 { $fail } セル、要審査 { $review } セル、合格 { $pass } セル。セルにフォーカスするかポインターを合わせると理由が表示されます。
ws-persons-behind = セルの背後にいる人数
ws-mark = { $level ->
    [fail] 不合格
    [pass] 合格
   *[review] 要審査
}
ws-no-rule-broken = このセルの背後には { $persons } 人がいます。違反する規則はありません。
ws-more-rows = 残りの行はこのページに表示していません。
ws-save-label = この結果を出力として保存すると、出力チェックの結果を確認し、持ち出しを申請できます：
ws-save-placeholder = タイトル
ws-save = 出力として保存
ws-no-extract = このワークスペースを利用できます。あなたの利用資格、メンバーシップ、プロジェクトの承認を確認し、記録しました。プロジェクトの抽出データがまだ作成されていないため、クエリできるテーブルはありません。
ws-history = 最近のクエリ
ws-history-when = 日時
ws-history-query = クエリ
ws-history-outcome = 結果
ws-history-actions = 操作
ws-history-result = { $status ->
    [ok] { $rows } 行
    [refused] 実行拒否
    [cancelled] 取り消し
   *[other] エラー
}
ws-history-rerun = 再実行
ws-chart-bar = { $group } 別の { $measure }
ws-chart-line = { $group } ごとの { $measure } の推移
ws-chart-left-out = { $count ->
    [0] すべての棒を表示しています。
   *[other] 出力チェックで持ち出せない { $count } 本の棒を除いています（軸の下に ✕ で示します）。
}
ws-js-running = 実行中… { "{" }seconds{ "}" } 秒
ws-js-cancel = 取り消す
ws-js-cancelling = 取り消しています…
ws-js-previous = 前へ
ws-js-next = 次へ
ws-js-rows = { "{" }total{ "}" } 行中 { "{" }from{ "}" }–{ "{" }to{ "}" } 行
ws-js-suggestions = 候補 { "{" }count{ "}" } 件
ws-js-pager = 結果のページ

# 管理者向け：ワークスペースの実行環境。
runners-title = ワークスペースの実行環境
runners-machine = このマシン
runners-protections-hold = このマシンでは実行環境の保護がすべて有効です：
runners-protections-missing = このマシンで利用できない保護があります：{ $why }
runners-queries = 現在実行中のクエリ：{ $count } 件
runners-caption = サーバーの起動後に開始した実行環境（プロジェクト別）
runners-project = プロジェクト
runners-extract = 抽出データ
runners-process = プロセス
runners-state = 状態
runners-idle = 未使用の時間
runners-protections = 保護
runners-running = { $running ->
    [true] 稼働中
   *[other] 停止
}
runners-idle-seconds = { $seconds } 秒
runners-in-force = { $active ->
    [true] 有効：
   *[other] 無効：
}
runners-protection = { $name ->
    [network] ネットワークなし
    [parent-death] サーバーとともに終了
    [address-space] メモリの上限
    [file-size] ファイルサイズの上限
    [core-dumps] コアダンプなし
    [filesystem] ファイルは抽出データと一時フォルダーだけ
   *[other] { $name }
}
runners-none = 稼働中の実行環境はありません。実行環境はワークスペースの最初のクエリで起動し、15 分間使われないと停止します。

# 結果の上に出す出力チェックの要約と、グラフの説明。
ws-chart-caption = { $title }。{ $left }

# ワークスペースに表示するプロジェクトの出力。
ws-outputs = 出力と持ち出し申請
ws-outputs-none = このプロジェクトにはまだ保存された出力がありません。
ws-outputs-hint = 出力を開くと、出力チェックの結果、データ管理者の投票とコメントを確認し、持ち出しを申請できます。

# 履歴の 2 つのクエリの比較。
ws-compare-side = { $side ->
    [a] A（変更前）
   *[b] B（変更後）
}
ws-compare-pick = { $side ->
    [a] { $when } のクエリを A（変更前）として比較
   *[b] { $when } のクエリを B（変更後）として比較
}
ws-compare-hint = A と B にクエリを 1 つずつ選んで比較すると、変わった行を確認できます。
ws-compare = A と B を比較
ws-compare-title = クエリの比較 · { $project }
ws-compare-heading = クエリの比較：{ $project }
ws-compare-rerun = { $side ->
    [a] A を再実行
   *[b] B を再実行
}
ws-compare-changes = A から B への変更
ws-compare-identical = 2 つのクエリは、すべての行が同じです。
ws-compare-counts = 削除 { $removed } 行（A のみ）、追加 { $added } 行（B のみ）。
ws-diff-removed = 削除：
ws-diff-added = 追加：
ws-compare-missing = 比較するクエリを履歴から 2 つ選んでください（A と B に 1 つずつ）。選んでから、もう一度お試しください。
