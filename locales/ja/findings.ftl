# 出力チェックのセルごとの指摘（SDC-RULES.md）。セルの横に表示します。

finding-rule = { $rule ->
    [threshold] 閾値
    [zero] ゼロ
    [nk-rule] 優越（nk）
    [p-ratio] p 比率
    [dof] 自由度
    [negative] 負の値
    [missing] 欠測
    [extreme] 極値
    [all-values-same] 全値同一
    [full-cell] 全数セル
    [differencing] 差分
    [row-level] 行単位
    [identifier] 識別子
    [unknown-lineage] 由来不明
   *[other] { $rule }
}
finding = { $rule }：{ $detail }
finding-zero = 0 人：空のセルはグループ全体について情報を与えます
finding-threshold = { $persons } 人で、{ $threshold } 人未満です
finding-threshold-values = 値のある人が { $persons } 人で、{ $threshold } 人未満です
finding-nk = 上位 { $n } 人の寄与が合計の { $share } を占めます（{ $k } 以上）
finding-p-ratio = 2 番目に大きい寄与者が最大の寄与を { $within } の精度で推定できます（{ $p } を超える必要があります）
finding-dof = 自由度が { $dof } で、{ $threshold } 未満です
finding-negative = 負の値が { $count } 件あります
finding-missing = 値のない行が { $count } 件あります
finding-extreme-one = この{ gate-statistic }は 1 人の値です
finding-extreme-sides = 値以下に { $below } 人、値以上に { $above } 人です。両側に { $needed } 人ずつ必要です
finding-extreme-unknown = 値の両側の人数がわかりません
finding-all-same = すべての値が同じです
finding-full-cell = { $persons } 人全員がこのセルにいます。ほかの { $column } には誰もいないため、このセルは全員がこの { $column } であることを示します
finding-full-cell-line = { $line } の { $persons } 人全員がこのセルにいます。ほかの { $column } には誰もいないため、このセルは全員がこの { $column } であることを示します
finding-differencing = 持ち出し済み { $release } の「{ $cell }」との差が、こちらだけ { $here } 人、あちらだけ { $there } 人で、いずれも { $threshold } 人未満です
finding-recomputed = 他をどう秘匿しても、以前に持ち出した合計から再計算できます

# 表全体についての出力チェックの理由（判定ごとにメッセージとして保存）。
gate-reason-fail = { finding-rule } で不合格のセル：{ $count } 件
gate-reason-review = { finding-rule } で要審査のセル：{ $count } 件
gate-reason-suppressed = { $total } セルを秘匿：不合格の { $primary } セルと、それを守るための { $secondary } セル
gate-refused-lineage = { finding-rule }：{ lineage-reason }
gate-refused-truncated = 結果の行数がワークスペースで表示できる数を超えています。クエリで絞り込んでください
gate-refused-no-rules = 由来不明：{ $function } には開示の規則がないため、持ち出せません
gate-refused-hidden = { finding-rule }：{ $function } は表示されないまま行を選ぶか並べ（HAVING や ORDER BY）、表示される行で不合格になります。どの行が表示されるかでその値が分かるため、表示するか、外してください
gate-refused-uses = 由来不明：結果のどの列がどの集計から来たのか分かりません

# 結果が行単位または由来不明である理由（ワークスペースのランナーのコード）。
lineage-reason = { $why ->
    [plan] 実行計画をたどれませんでした（{ $detail }）
    [no-person-column] テーブル { $detail } に個人の列がありません
    [join-mixes] 両側の個人を突き合わせない結合条件のため、1 行に 2 人の個人が入ります
    [aggregate-many] 多くの個人にまたがる集計が、クエリの結果のもとになっています
    [window-many] 多くの個人の行にまたがるウィンドウ関数が、クエリの結果のもとになっています
    [union-mixed] 個人のある行とない行を UNION しています
    [distinct-many] 多くの個人の行にまたがる DISTINCT が、クエリの結果のもとになっています
    [kind] この種類のクエリ（{ $detail }）は、まだ個人までたどれません
    [window-mixes] 結果のセルにまたがる { $detail } が、多くのセルの個人を混ぜています
    [window-untraceable] 結果のセルにまたがるウィンドウ関数をたどれません
    [aggregate-unreadable] 集計の式を読み取れませんでした
    [combines] 結果が集計を組み合わせており、その個人をまだたどれません
    [no-statistic] 結果はグループを示していますが、その集計がないため、各グループの背後の個人を判定できません。COUNT(*) を加えてください
    [subquery-value] 結果の値が個人の行を読むサブクエリから来ており、その個人を数える根拠がありません。結合として書くか、別のクエリで持ち出してください
    [record-rows] 結果は集計ではなく、1 件の記録につき 1 行です
    [no-person-table] クエリが個人についてのテーブルを読んでいません
    [grouped-by-person] 結果が個人の識別子でグループ化されています（1 人につき 1 グループ）
    [shows-identifiers] 個人の識別子の { $detail } は識別子そのものを示します
   *[other] { $detail }
}
