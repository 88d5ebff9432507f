# 出力のページに共通の語：出力の状態、出力チェックの結果、処理方法、データ管理者の投票。

out-state = { $state ->
    [draft] 下書き
    [submitted] データ管理者の審査待ち
    [changes_requested] 修正依頼あり
    [released] 持ち出し済み
    [rejected] 却下
    [withdrawn] 取り下げ済み
    [stopped] 停止（プロジェクトのアクセス期間が終了）
   *[other] { $state }
}
gate-status = { $status ->
    [pass] 合格
    [review] 要審査
    [fail] 不合格
    [refused] 持ち出し不可
   *[other] { $status }
}
out-mitigation = { $mitigation ->
    [none] なし
    [suppress] 不合格のセルを秘匿
    [suppress_round] 秘匿のうえ件数を丸める
    [suppress_midpoint6] 秘匿のうえ件数を midpoint-6 で丸める
   *[other] { $mitigation }
}
# データ管理者の投票（例：「佐藤 健二 さんが承認しました」）。
out-vote = { $vote ->
    [approve] { $name } さんが承認しました
    [request_changes] { $name } さんが修正を依頼しました
    [reject] { $name } さんが却下しました
   *[other] { $name } さん：{ $vote }
}
# 投票に続くコメント。
out-vote-comment = ：{ $comment }
out-col-output = 出力
out-asked-by = 申請者
out-version = 版
out-comments = データ管理者のコメント
out-state-label = 状態
out-gate = 出力チェック
out-parameters = パラメータ
out-sql = SQL
out-purpose = 目的
out-columns-note = 各列の意味
out-sdc-note = 開示制御についての注記
out-treatment = 処理方法

# プロジェクトの出力と、出力を保存するフォーム（outputs.html とそのハンドラー）。

out-list-title = 出力 · { $project }
out-list-heading = { $project } の出力
out-back-to-workspace = ワークスペースに戻る
out-yours = 出力の一覧
out-none-yet = 出力はまだありません。下のフォームか、ワークスペースから結果を保存してください。
out-save-heading = 結果を出力として保存
out-save-hint = 申請の前に、出力チェックがクエリをもう一度実行し、すべてのセルを判定します。
out-title = タイトル
out-save-button = 保存して出力チェック
out-choose-treatment = 用意された処理方法から選んでください。
out-query-required = クエリを入力してください。
# クエリの実行に失敗しました。問題の説明はクエリエンジンから英語で届きます。
out-query-failed = クエリを実行できませんでした：{ $problem }

# 1 つの出力：状態、持ち出し、チェック結果、投票、次の操作、版（output.html とそのハンドラー）。

out-all-of-project = { $project } の出力の一覧
out-released = 持ち出し済み
out-release-intro = 持ち出し { $id }：
out-release-table = 表（CSV）
# 表へのリンクとマニフェストへのリンクの間。
out-release-and = と
out-release-manifest = そのマニフェスト
out-sha256 = SHA-256
out-found = 出力チェックの結果
out-query = クエリ
out-votes-heading = この版へのデータ管理者の投票
out-next = 次の操作
out-ask-release = 持ち出しを申請
out-withdraw = 取り下げ
out-new-version = 新しい版を作成
out-judge-new = 新しい版を出力チェック
out-versions = 版
# 一覧の中の版：「第2版：合格、不合格のセルを秘匿、パラメータ platform v1」。下の 3 つのメッセージから組み立てます。
out-version-item = 第{ $version }版：{ $rest }
out-version-judged = { $status }、{ $mitigation }
out-version-params = { $judged }、パラメータ { $params }
out-not-released = この出力は持ち出し済みではありません。ダウンロードできるのは持ち出し済みのファイルだけです。

# クエリと分析者の注記（output_notes.html）。

out-notes-purpose = 目的
out-notes-columns = 列
out-notes-disclosure = 開示制御についての注記

# 出力チェックのセルごとの結果（judgement.html）。指摘の本文は出力チェックから届きます。

gate-col-group = グループ
gate-col-column = 列
gate-statistic = { $statistic ->
    [count] 件数
    [sum] 合計
    [mean] 平均
    [median] 中央値
    [percentile] パーセンタイル
    [min] 最小値
    [max] 最大値
    [std] 標準偏差
    [var] 分散
    [mode] 最頻値
   *[other] { $statistic }
}
gate-params-version = { $version ->
    [defaults] 既定値
   *[other] { $version }
}
gate-col-statistic = 統計量
gate-col-value = 公開される値
gate-col-persons = 人数
gate-col-findings = 指摘
gate-col-evidence = 根拠
gate-evidence-with-value = 値のある人 { $count } 人
gate-evidence-shares = 合計に占める割合：最大 { $largest }、上位 2 人 { $top_two }
gate-evidence-missing = 欠損 { $count } 件
gate-evidence-negative = 負の値 { $count } 件
gate-evidence-all-same = すべて同じ値
gate-evidence-sides = 値以下の人：{ $below }、値以上の人：{ $above }
gate-evidence-persons = { $count } 人
gate-evidence-at-least = { $count } 人以上
gate-suppressed = 秘匿（{ $kind ->
    [primary] 一次
    [secondary] 二次
   *[other] { $kind }
}）
# 指摘の重さとルール名（例：「不合格：threshold」）。
gate-finding = { $severity ->
    [review] 要審査
    [fail] 不合格
   *[other] { $severity }
}：{ $rule }
# グループの列のすべての値の合計（例：「sex=(合計)」）。
gate-group-total = (合計)

# データ管理者による出力の審査（review.html とそのハンドラー）。

review-title = 審査 · { $output }
review-heading = 審査：{ $output }
review-back = 審査待ちの一覧に戻る
review-project = プロジェクト
review-extract = 抽出データ
review-query-sha256 = クエリの SHA-256
# クエリを実行した抽出データ。
review-extract-version = 第{ $version }版（マニフェスト { $manifest }）
review-notes = クエリと注記
review-cells = セルとその根拠
review-overlaps = 重なりのある過去の持ち出し
review-no-overlaps = 持ち出し済みのセルとの差が閾値未満の人数になるセルはありません。
review-votes = この版への投票
review-no-votes = まだ投票はありません。
review-your-vote = あなたの投票
review-approve = 承認
review-request-changes = 修正を依頼
review-reject = 却下
review-comment = コメント（修正の依頼と却下には必須）
review-vote-button = 投票する
review-choose-vote = 承認、修正を依頼、却下のいずれかを選んでください。

# データ管理者の審査待ちの一覧（review_queue.html）。

review-queue-title = 審査する出力
review-queue-heading = 審査待ちの出力
review-queue-empty = 審査待ちのものはありません。
review-queue-project = プロジェクト
review-queue-version = （第{ $version }版）

# 適用範囲ごとの出力チェックのパラメータ（gate_params.html とそのハンドラー）。

gate-params-title = 出力チェックのパラメータ
gate-params-hint = プロジェクト独自のパラメータが最優先で、次にそのデータセットのもの、次にプラットフォームのもの、最後に SDC-RULES.md の既定値が使われます。変更するたびに新しい版になり、各チェック結果には使われた版が記録されます。
gate-params-scope = 適用範囲
gate-params-show = 表示
gate-params-new-version = { $scope } の新しい版
gate-params-label = パラメータ（JSON：threshold、nk_n、nk_k、p、dof_threshold、zeros_are_disclosive、check_missing_values、round_base）
gate-params-reason = 理由
gate-params-set = 設定
gate-params-versions = 版
gate-params-none = この適用範囲にはまだ設定がありません。
gate-params-set-by = 設定者
gate-params-bad-scope = 適用範囲は platform、dataset:名前、project:ID のいずれかです。
